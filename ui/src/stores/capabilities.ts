import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, type Capability, type Role, type RoleCapabilities } from '@/api'

/**
 * The domain's table of which role may reach what (`domain::capability`), asked from Rust
 * once: menus, work-bench cards and buttons read it, so no role rule is restated here.
 */
export const useCapabilityStore = defineStore('capabilities', () => {
  const table = ref<RoleCapabilities[]>([])
  let loading: Promise<void> | null = null

  /** Loads the table once (it is compiled into the app, so it never changes while running). */
  function load(): Promise<void> {
    loading ??= api
      .roleCapabilities()
      .then((t) => {
        table.value = t
      })
      .catch(() => {
        loading = null // a later call tries again
      })
    return loading
  }

  function of(role: string): Capability[] {
    return table.value.find((r) => r.role === role)?.capabilities ?? []
  }

  function rolesWith(c: Capability): Role[] {
    return table.value.filter((r) => r.capabilities.includes(c)).map((r) => r.role)
  }

  /** The unit level (1–3) accounts of `role` are posted at (`domain::staffing`); null when unknown. */
  function postingLevel(role: string): 1 | 2 | 3 | null {
    const level = table.value.find((r) => r.role === role)?.postingLevel
    return level === 1 || level === 2 || level === 3 ? level : null
  }

  /** Roles a person can have (not the platform's own `system`), in the domain's order. */
  const staffRoles = (): Role[] => table.value.map((r) => r.role).filter((r) => r !== 'system')

  /** For tests and the shell: installs a table without asking Rust. */
  function install(t: RoleCapabilities[]): void {
    table.value = t
    loading = Promise.resolve()
  }

  return { table, load, of, rolesWith, postingLevel, staffRoles, install }
})

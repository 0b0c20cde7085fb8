import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, type Capability, type Profile, type SessionInfo } from '@/api'
import { useCapabilityStore } from './capabilities'

const SERVER_KEY = 'minsheng.serverUrl'

/** The signed-in user. The session itself (tokens, cache) lives on the Rust side. */
export const useSessionStore = defineStore('session', () => {
  const profile = ref<Profile | null>(null)
  /** Opened from the cache without reaching the server. */
  const offlineLogin = ref(false)
  /** The server asks for a new password first (等保): the router keeps the user on 设置. */
  const mustChangePassword = ref(false)
  const lastUser = ref<string | null>(null)
  /** The server the last user's cache belongs to (the cache is per server and account). */
  const lastServer = ref<string | null>(null)
  const savedServer = ref<string>(globalThis.localStorage?.getItem(SERVER_KEY) ?? '')

  const signedIn = computed(() => profile.value !== null)
  const role = computed(() => profile.value?.role ?? '')
  const capabilityTable = useCapabilityStore()
  void capabilityTable.load()
  /** What the signed-in role may reach (the domain's table, asked from Rust). */
  const capabilities = computed<Capability[]>(() => capabilityTable.of(role.value))
  function can(c: Capability): boolean {
    return capabilities.value.includes(c)
  }
  /** The 工作台 shows the subtree a supervising role oversees rather than one unit. */
  const isSupervising = computed(() => can('supervise'))

  /** Takes over a session the shell opened (login, resume, after a password change). */
  function adopt(info: SessionInfo): void {
    profile.value = info.profile
    offlineLogin.value = info.offline
    mustChangePassword.value = info.mustChangePassword
    locked.value = info.locked
  }

  /** Locked after inactivity (等保): the shell shows only the unlock form. */
  const locked = ref(false)

  async function lock(): Promise<void> {
    await api.lock()
    locked.value = true
  }

  /** Rejects with the Rust error (BAD_CREDENTIALS with the tries left, or LOGIN_REQUIRED,
   * after which the session is gone and only a new sign-in helps). */
  async function unlock(password: string): Promise<void> {
    try {
      await api.unlock(password)
      locked.value = false
    } catch (err: unknown) {
      if ((err as { code?: string })?.code === 'LOGIN_REQUIRED') {
        profile.value = null
        locked.value = false
      }
      throw err
    }
  }

  function rememberServer(url: string): void {
    savedServer.value = url.trim()
    globalThis.localStorage?.setItem(SERVER_KEY, savedServer.value)
  }

  async function loadLastUser(): Promise<void> {
    try {
      const last = await api.lastUser()
      lastUser.value = last?.username ?? null
      lastServer.value = last?.serverUrl ?? null
    } catch {
      lastUser.value = null
    }
  }

  /** Picks up a session the shell already holds (e.g. after a reload of the webview). */
  async function restore(): Promise<boolean> {
    try {
      const info = await api.currentSession()
      if (info) adopt(info)
      return info !== null
    } catch {
      return false
    }
  }

  async function login(serverUrl: string, username: string, password: string): Promise<void> {
    const info = await api.login(serverUrl, username, password)
    rememberServer(serverUrl)
    adopt(info)
  }

  async function resume(serverUrl: string, username: string, password: string): Promise<void> {
    const info = await api.resume(serverUrl, username, password)
    rememberServer(serverUrl)
    adopt(info)
  }

  async function signOut(force: boolean): Promise<void> {
    await api.signOut(force)
    profile.value = null
    offlineLogin.value = false
    mustChangePassword.value = false
  }

  return {
    profile,
    offlineLogin,
    mustChangePassword,
    locked,
    lock,
    unlock,
    lastUser,
    lastServer,
    savedServer,
    signedIn,
    role,
    capabilities,
    can,
    isSupervising,
    rememberServer,
    loadLastUser,
    restore,
    login,
    resume,
    signOut,
    adopt,
  }
})

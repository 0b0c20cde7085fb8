import { Bell, Collection, Connection, Document, DocumentAdd, EditPen, House, Finished, Setting, Tickets } from '@element-plus/icons-vue'
import { markRaw, type Component } from 'vue'
import type { Capability } from '@/api'
import { Calendar, DataAnalysis, OfficeBuilding, Phone, PhoneFilled, Trophy, Warning } from '@element-plus/icons-vue'
import { ChatLineSquare, MessageBox, Notebook, Odometer, Tools, TrendCharts, User } from '@element-plus/icons-vue'
import { Medal, Postcard, Stamp, Upload } from '@element-plus/icons-vue'

export interface NavItem {
  path: string
  /** Suffix of the `data-test="nav-…"` selector. */
  test: string
  label: string
  icon: Component
  /** The capability it needs (`domain::capability`); null = everyone. */
  needs: Capability | null
  /** The sub-menu it sits in (`NAV_GROUPS`); none = the top level. */
  group?: NavGroupKey
}

export type NavGroupKey = 'admin'

export interface NavGroup {
  key: NavGroupKey
  test: string
  label: string
  icon: Component
}

/** Sub-menus of the side menu. */
export const NAV_GROUPS: Record<NavGroupKey, NavGroup> = {
  admin: { key: 'admin', test: 'admin', label: 'admin.nav.group', icon: markRaw(Tools) },
}

/** What the side menu shows, in order: single entries, and groups holding theirs. */
export type NavEntry = { item: NavItem } | { group: NavGroup; items: NavItem[] }

const ITEMS: NavItem[] = [
  { path: '/', test: 'workbench', label: 'nav.workbench', icon: markRaw(House), needs: null },
  { path: '/cases', test: 'cases', label: 'nav.cases', icon: markRaw(Tickets), needs: null },
  { path: '/intake', test: 'intake', label: 'nav.intake', icon: markRaw(Document), needs: 'dispatch' },
  { path: '/intake/new', test: 'newrequest', label: 'newRequest.nav', icon: markRaw(DocumentAdd), needs: 'register' },
  { path: '/knowledge', test: 'knowledge', label: 'knowledge.admin.nav', icon: markRaw(Collection), needs: 'editKnowledge' },
  { path: '/home-visit', test: 'homevisit', label: 'nav.homeVisit', icon: markRaw(EditPen), needs: 'homeVisit' },
  {
    path: '/approvals',
    test: 'approvals',
    label: 'nav.approvals',
    icon: markRaw(Finished),
    needs: 'approve',
  },
  { path: '/dashboard', test: 'dashboard', label: 'ana.nav.dashboard', icon: markRaw(DataAnalysis), needs: 'assessment' },
  { path: '/assessment', test: 'assessment', label: 'ana.nav.assessment', icon: markRaw(Trophy), needs: 'assessment' },
  { path: '/alerts', test: 'alerts', label: 'ana.nav.alerts', icon: markRaw(Warning), needs: 'assessment' },
  { path: '/followups', test: 'followups', label: 'ana.nav.followups', icon: markRaw(Phone), needs: 'readFollowUps' },
  { path: '/followups/call', test: 'followupcall', label: 'followup.nav', icon: markRaw(PhoneFilled), needs: 'answerFollowUps' },
  // 优秀监督员: the platform office's register and rounds; the responsible unit's tasks.
  { path: '/supervisors', test: 'supervisors', label: 'sup.nav', icon: markRaw(Medal), needs: 'manageSupervisors' },
  { path: '/supervisors/tasks', test: 'supervisortasks', label: 'sup.tasksNav', icon: markRaw(Postcard), needs: 'supervisorTasks' },
  // 责任倒查: 纪检督察 and 市局领导 only (online only).
  { path: '/accountability', test: 'accountability', label: 'acc.nav', icon: markRaw(Stamp), needs: 'accountability' },
  // A neutral icon: the menu entry turns to the warning colour (and shows a count) only
  // while there are conflicts (AppShell).
  { path: '/conflicts', test: 'conflicts', label: 'nav.conflicts', icon: markRaw(Connection), needs: null },
  // 系统管理: the admin console (online only; the server refuses other roles).
  { path: '/admin/org', test: 'admin-org', label: 'org.nav', icon: markRaw(OfficeBuilding), needs: 'administer', group: 'admin' },
  { path: '/admin/users', test: 'admin-users', label: 'admin.nav.users', icon: markRaw(User), needs: 'administer', group: 'admin' },
  { path: '/admin/config', test: 'admin-config', label: 'config.nav', icon: markRaw(Calendar), needs: 'administer', group: 'admin' },
  { path: '/admin/audit', test: 'admin-audit', label: 'admin.nav.audit', icon: markRaw(Notebook), needs: 'administer', group: 'admin' },
  { path: '/admin/weights', test: 'admin-weights', label: 'admin.nav.weights', icon: markRaw(Odometer), needs: 'administer', group: 'admin' },
  { path: '/admin/sms-templates', test: 'admin-sms', label: 'admin.nav.sms', icon: markRaw(ChatLineSquare), needs: 'administer', group: 'admin' },
  { path: '/admin/dead-letters', test: 'admin-dead', label: 'admin.nav.dead', icon: markRaw(MessageBox), needs: 'administer', group: 'admin' },
  { path: '/admin/releases', test: 'admin-releases', label: 'rel.nav', icon: markRaw(Upload), needs: 'administer', group: 'admin' },
  { path: '/admin/accuracy', test: 'admin-accuracy', label: 'admin.nav.accuracy', icon: markRaw(TrendCharts), needs: 'administer', group: 'admin' },
  { path: '/settings', test: 'settings', label: 'nav.settings', icon: markRaw(Setting), needs: null },
]

/** The side menu for what the signed-in role may reach (unknown roles see the common items). */
export function navItems(capabilities: readonly Capability[]): NavItem[] {
  return ITEMS.filter((i) => i.needs === null || capabilities.includes(i.needs))
}

/** `navItems` as the menu shows them: a group where its first entry is, holding all of its entries. */
export function navEntries(capabilities: readonly Capability[]): NavEntry[] {
  const out: NavEntry[] = []
  const groups = new Map<NavGroupKey, NavItem[]>()
  for (const item of navItems(capabilities)) {
    if (!item.group) {
      out.push({ item })
      continue
    }
    const members = groups.get(item.group)
    if (members) {
      members.push(item)
    } else {
      const items = [item]
      groups.set(item.group, items)
      out.push({ group: NAV_GROUPS[item.group], items })
    }
  }
  return out
}

export const NOTIFICATION_ICON = markRaw(Bell)

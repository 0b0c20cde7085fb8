import { Bell, Collection, Connection, Document, DocumentAdd, EditPen, House, Finished, Setting, Tickets } from '@element-plus/icons-vue'
import { markRaw, type Component } from 'vue'
import { DataAnalysis, Phone, PhoneFilled, Trophy, Warning } from '@element-plus/icons-vue'

/** Roles that see the command view, assessment and alerts (一网考). */
const ANALYTICS_ROLES = ['leader', 'supervisor', 'unitHead']

export interface NavItem {
  path: string
  /** Suffix of the `data-test="nav-…"` selector. */
  test: string
  label: string
  icon: Component
  /** Roles that see it; empty = everyone. */
  roles: readonly string[]
}

const ITEMS: NavItem[] = [
  { path: '/', test: 'workbench', label: 'nav.workbench', icon: markRaw(House), roles: [] },
  { path: '/cases', test: 'cases', label: 'nav.cases', icon: markRaw(Tickets), roles: [] },
  { path: '/intake', test: 'intake', label: 'nav.intake', icon: markRaw(Document), roles: ['clerk', 'admin'] },
  { path: '/intake/new', test: 'newrequest', label: 'newRequest.nav', icon: markRaw(DocumentAdd), roles: ['clerk', 'admin'] },
  { path: '/knowledge', test: 'knowledge', label: 'knowledge.admin.nav', icon: markRaw(Collection), roles: ['admin', 'clerk'] },
  { path: '/home-visit', test: 'homevisit', label: 'nav.homeVisit', icon: markRaw(EditPen), roles: ['officer', 'unitHead'] },
  {
    path: '/approvals',
    test: 'approvals',
    label: 'nav.approvals',
    icon: markRaw(Finished),
    roles: ['unitHead', 'supervisor', 'leader'],
  },
  { path: '/dashboard', test: 'dashboard', label: 'ana.nav.dashboard', icon: markRaw(DataAnalysis), roles: ANALYTICS_ROLES },
  { path: '/assessment', test: 'assessment', label: 'ana.nav.assessment', icon: markRaw(Trophy), roles: ANALYTICS_ROLES },
  { path: '/alerts', test: 'alerts', label: 'ana.nav.alerts', icon: markRaw(Warning), roles: ANALYTICS_ROLES },
  { path: '/followups', test: 'followups', label: 'ana.nav.followups', icon: markRaw(Phone), roles: ['followUp'] },
  { path: '/followups/call', test: 'followupcall', label: 'followup.nav', icon: markRaw(PhoneFilled), roles: ['followUp'] },
  // A neutral icon: the menu entry turns to the warning colour (and shows a count) only
  // while there are conflicts (AppShell).
  { path: '/conflicts', test: 'conflicts', label: 'nav.conflicts', icon: markRaw(Connection), roles: [] },
  { path: '/settings', test: 'settings', label: 'nav.settings', icon: markRaw(Setting), roles: [] },
]

/** The side menu for a role (unknown roles see the common items). */
export function navItems(role: string): NavItem[] {
  return ITEMS.filter((i) => i.roles.length === 0 || i.roles.includes(role))
}

export const NOTIFICATION_ICON = markRaw(Bell)

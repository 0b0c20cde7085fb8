import { Bell, Collection, Connection, Document, DocumentAdd, EditPen, House, Finished, Setting, Tickets } from '@element-plus/icons-vue'
import { markRaw, type Component } from 'vue'
import type { Capability } from '@/api'
import { DataAnalysis, Phone, PhoneFilled, Trophy, Warning } from '@element-plus/icons-vue'

export interface NavItem {
  path: string
  /** Suffix of the `data-test="nav-…"` selector. */
  test: string
  label: string
  icon: Component
  /** The capability it needs (`domain::capability`); null = everyone. */
  needs: Capability | null
}

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
  // A neutral icon: the menu entry turns to the warning colour (and shows a count) only
  // while there are conflicts (AppShell).
  { path: '/conflicts', test: 'conflicts', label: 'nav.conflicts', icon: markRaw(Connection), needs: null },
  { path: '/settings', test: 'settings', label: 'nav.settings', icon: markRaw(Setting), needs: null },
]

/** The side menu for what the signed-in role may reach (unknown roles see the common items). */
export function navItems(capabilities: readonly Capability[]): NavItem[] {
  return ITEMS.filter((i) => i.needs === null || capabilities.includes(i.needs))
}

export const NOTIFICATION_ICON = markRaw(Bell)

import { createRouter, createWebHashHistory, type RouterHistory } from 'vue-router'
import { useSessionStore } from '@/stores/session'

// Hash history: the app is served from a custom protocol with no server-side fallback.
export function createAppRouter(history: RouterHistory = createWebHashHistory(), guard = true) {
  const router = createRouter({
    history,
    routes: [
      { path: '/', name: 'workbench', component: () => import('@/views/WorkbenchView.vue') },
      { path: '/cases', name: 'cases', component: () => import('@/views/CaseListView.vue') },
      { path: '/cases/:id', name: 'case', component: () => import('@/views/CaseDetailView.vue'), props: true },
      { path: '/intake', name: 'intake', component: () => import('@/views/IntakeView.vue') },
      { path: '/intake/new', name: 'newRequest', component: () => import('@/views/intake/NewRequestView.vue') },
      { path: '/home-visit', name: 'homeVisit', component: () => import('@/views/HomeVisitView.vue') },
      { path: '/approvals', name: 'approvals', component: () => import('@/views/ApprovalsView.vue') },
      { path: '/conflicts', name: 'conflicts', component: () => import('@/views/ConflictsView.vue') },
      { path: '/knowledge', name: 'knowledge', component: () => import('@/views/KnowledgeView.vue') },
      { path: '/settings', name: 'settings', component: () => import('@/views/SettingsView.vue') },
      { path: '/admin/config', name: 'adminConfig', component: () => import('@/views/admin/config/RulesView.vue') },
      { path: '/admin/org', name: 'adminOrg', component: () => import('@/views/admin/org/OrgView.vue') },
      // 系统管理 (admin console)
      { path: '/admin/users', name: 'adminUsers', component: () => import('@/views/admin/UsersView.vue') },
      { path: '/admin/audit', name: 'adminAudit', component: () => import('@/views/admin/AuditLogView.vue') },
      { path: '/admin/weights', name: 'adminWeights', component: () => import('@/views/admin/WeightsView.vue') },
      { path: '/admin/sms-templates', name: 'adminSms', component: () => import('@/views/admin/SmsTemplatesView.vue') },
      { path: '/admin/dead-letters', name: 'adminDeadLetters', component: () => import('@/views/admin/DeadLettersView.vue') },
      { path: '/admin/releases', name: 'adminReleases', component: () => import('@/views/admin/ReleasesView.vue') },
      { path: '/admin/accuracy', name: 'adminAccuracy', component: () => import('@/views/admin/AccuracyView.vue') },
      { path: '/dashboard', name: 'dashboard', component: () => import('@/views/analytics/DashboardView.vue') },
      { path: '/assessment', name: 'assessment', component: () => import('@/views/analytics/AssessmentView.vue') },
      { path: '/alerts', name: 'alerts', component: () => import('@/views/analytics/AlertsView.vue') },
      { path: '/followups', name: 'followups', component: () => import('@/views/analytics/FollowUpQueueView.vue') },
      { path: '/accountability', name: 'accountability', component: () => import('@/views/accountability/AccountabilityView.vue') },
      { path: '/followups/call', name: 'followupCall', component: () => import('@/views/followup/CallScreenView.vue') },
      { path: '/supervisors', name: 'supervisors', component: () => import('@/views/supervisors/SupervisorsView.vue') },
      { path: '/supervisors/tasks', name: 'supervisorTasks', component: () => import('@/views/supervisors/SupervisorTasksView.vue') },
      {
        path: '/login',
        name: 'login',
        component: () => import('@/views/LoginView.vue'),
        meta: { bare: true, public: true },
      },
      { path: '/:rest(.*)*', redirect: '/' },
    ],
  })
  if (guard) {
    let restored = false
    router.beforeEach(async (to) => {
      if (to.meta.public) return true
      const session = useSessionStore()
      if (!session.signedIn && !restored) {
        restored = true
        await session.restore()
      }
      if (!session.signedIn) return { name: 'login' }
      // 等保: an admin-set or 90-day-old password is changed before anything else.
      if (session.mustChangePassword && to.name !== 'settings') return { name: 'settings' }
      return true
    })
  }
  return router
}

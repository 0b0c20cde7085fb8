import { createRouter, createWebHashHistory, type RouterHistory } from 'vue-router'

// Hash history: the app is served from a custom protocol with no server-side fallback.
export function createAppRouter(history: RouterHistory = createWebHashHistory()) {
  return createRouter({
    history,
    routes: [
      { path: '/', name: 'workbench', component: () => import('@/views/WorkbenchView.vue') },
      {
        path: '/login',
        name: 'login',
        component: () => import('@/views/LoginView.vue'),
        meta: { bare: true },
      },
      { path: '/:rest(.*)*', redirect: '/' },
    ],
  })
}

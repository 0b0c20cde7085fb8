import type zhCN from './zh-CN'

const en: typeof zhCN = {
  app: { title: 'Minsheng Policing Platform', motto: 'One intake · One-stop handling · Follow-up · One reply · One assessment' },
  status: { online: 'Online', offline: 'Offline', checking: 'Checking' },
  nav: {
    workbench: 'Workbench',
    cases: 'Case lists',
    intake: 'Intake',
    followUp: 'Follow-up',
    analytics: 'Analytics',
    soon: 'Coming soon',
  },
  top: { login: 'Sign in', language: '中文' },
  workbench: {
    title: 'Workbench',
    connectedTo: 'City server',
    status: 'Connection',
    serverVersion: 'Server version',
    clientVersion: 'Client version',
    checkedAt: 'Last checked',
    unknown: 'Unknown',
    recheck: 'Check now',
    offlineHint: 'Make sure the city server is running and the network is up. Retrying every 10 s.',
    placeholder: 'Case lists, dispatch, follow-up and assessment arrive in later versions.',
  },
  login: {
    title: 'Sign in',
    subtitle: 'Use your police account',
    username: 'User name',
    password: 'Password',
    server: 'Server address',
    submit: 'Sign in',
    usernameRequired: 'Enter your user name',
    passwordRequired: 'Enter your password',
    serverRequired: 'Enter the server address',
    notWired: 'Sign-in arrives in the next version',
    back: 'Back to workbench',
  },
}

export default en

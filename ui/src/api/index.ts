// The only module that talks to the Rust side. Views and stores import from here.
import { invoke, type InvokeArgs } from '@tauri-apps/api/core'
import type { AppInfo, CommandErrorBody, ServerHealth } from './types'

export type { AppInfo, CommandErrorBody, ServerHealth } from './types'

/** A command failure with the Rust error's stable `code`. */
export class ApiError extends Error {
  readonly code: string

  constructor(code: string, message: string) {
    super(message)
    this.name = 'ApiError'
    this.code = code
  }
}

function isErrorBody(value: unknown): value is CommandErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>).code === 'string' &&
    typeof (value as Record<string, unknown>).message === 'string'
  )
}

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args)
  } catch (err: unknown) {
    if (isErrorBody(err)) throw new ApiError(err.code, err.message)
    // IPC-level failures (unknown command, bridge missing) arrive as plain strings.
    throw new ApiError('ipc', typeof err === 'string' ? err : String(err))
  }
}

export const api = {
  appInfo: () => call<AppInfo>('app_info'),
  serverHealth: () => call<ServerHealth>('server_health'),
}

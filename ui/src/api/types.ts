// Wire types of the Tauri commands in src-tauri/src/commands/. Keep in step with the Rust structs.

/** `app_info` */
export interface AppInfo {
  version: string
  serverUrl: string
}

/** `server_health`: a server that is down is `ok: false`, not an error. */
export interface ServerHealth {
  ok: boolean
  serverVersion?: string
  message: string
}

/** What every failing command rejects with (the Rust `Error` enum). */
export interface CommandErrorBody {
  code: string
  message: string
}

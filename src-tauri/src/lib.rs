//! Tauri shell of 民生警务平台: wires the commands and the shared state into a builder.
//!
//! `configure` is separate from `run` so tests can drive the same commands through
//! `tauri::test::mock_builder()` without opening a window.

pub mod commands;
pub mod desktop_log;
mod error;
mod print_data;
mod server_link;
mod session_slot;
pub mod webview_env;

#[cfg(test)]
mod bindings_tests;
#[cfg(test)]
mod ipc_session_tests;
#[cfg(test)]
mod ipc_tests;
#[cfg(test)]
mod update_server_tests;
#[cfg(test)]
mod update_tests;

pub use error::Error;
pub use server_link::{ServerLink, DEFAULT_SERVER_URL, SERVER_URL_ENV};
pub use session_slot::{DataDir, SessionSlot, DATA_DIR_ENV, SYNC_STATUS_EVENT};

/// Registers the state and every command on `builder`, using the server URL from the environment.
pub fn configure<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    configure_with(builder, ServerLink::from_env())
}

/// Same as [`configure`] with an explicit server link (tests point it at a local server).
/// The cache directory comes from `$MINSHENG_DATA_DIR` or the platform's app-data dir.
pub fn configure_with<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    link: ServerLink,
) -> tauri::Builder<R> {
    configure_full(builder, link, None)
}

/// Same as [`configure_with`] with an explicit cache directory.
pub fn configure_full<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    link: ServerLink,
    data_dir: Option<DataDir>,
) -> tauri::Builder<R> {
    let builder = builder
        .manage(link)
        .manage(SessionSlot::default())
        .manage(commands::updates::UpdateSlot::default());

    // Without an explicit directory the commands resolve the platform's app-data dir.
    let builder = match data_dir {
        Some(dir) => builder.manage(dir),
        None => builder,
    };
    builder.invoke_handler(tauri::generate_handler![
        commands::app::app_info,
        commands::app::role_capabilities,
        commands::server::server_health,
        commands::auth::auth_last_user,
        commands::auth::auth_login,
        commands::auth::auth_resume,
        commands::auth::auth_current,
        commands::auth::auth_lock,
        commands::auth::auth_unlock,
        commands::auth::auth_sign_out,
        commands::sync::sync_status,
        commands::sync::sync_now,
        commands::sync::sync_conflicts,
        commands::sync::sync_resolve_conflict,
        commands::cases::cases_list,
        commands::cases::case_get,
        commands::cases::worklist_counts,
        commands::cases::case_act,
        commands::cases::case_action_check,
        commands::cases::case_intake,
        commands::cases::approvals_queue,
        commands::org::org_units,
        commands::org::org_unit_users,
        commands::org::config_local,
        commands::settings::settings_set_closed_window,
        commands::settings::settings_closed_window,
        commands::intake::intake_bulk,
        commands::intake::intake_check,
        commands::intake::intake_assist,
        commands::intake::intake_save_template,
        commands::case_online::case_remote,
        commands::case_online::case_fetch,
        commands::case_online::cases_search_server,
        commands::case_online::citizen_reveal,
        commands::auth::auth_change_password,
        commands::draft::draft_load,
        commands::draft::draft_save,
        commands::draft::draft_clear,
        commands::online::online_get,
        commands::online::online_post,
        commands::online::online_download,
        commands::online::online_put,
        commands::online::online_patch,
        commands::online::online_delete,
        commands::desktop::desktop_notify,
        commands::documents::documents_folder,
        commands::documents::documents_set_folder,
        commands::documents::documents_pick_folder,
        commands::documents::documents_printable,
        commands::documents::documents_case_sheet,
        commands::documents::documents_reply_letter,
        commands::documents::documents_urge_notice,
        commands::documents::documents_bulletin,
        commands::documents::documents_open,
        commands::attachments::attachment_add,
        commands::attachments::attachments_list,
        commands::attachments::attachment_bytes,
        commands::attachments::attachment_save,
        commands::attachments::attachment_retry,
        commands::attachments::attachment_remove,
        commands::attachments::uploads_summary,
        commands::updates::update_check,
        commands::updates::update_dismiss,
        commands::updates::update_install,
        commands::online_releases::releases_list,
        commands::online_releases::release_pick_package,
        commands::online_releases::release_pick_signature,
        commands::online_releases::release_upload,
        commands::online_releases::release_withdraw,
    ])
}

/// Starts the desktop application; returns when the last window closes.
pub fn run() {
    webview_env::apply_defaults();
    // Updates from the city server: the public key is built in (MINSHENG_UPDATER_PUBKEY);
    // without it `update_check` answers UPDATE_NOT_CONFIGURED instead of checking.
    let mut updater = tauri_plugin_updater::Builder::new();
    if let Some(key) = commands::updates::UPDATER_PUBKEY {
        updater = updater.pubkey(key);
    }
    configure(
        tauri::Builder::default()
            .plugin(tauri_plugin_dialog::init())
            .plugin(updater.build()),
    )
    .setup(|app| {
        use tauri::Manager;
        desktop_log::start(app.path().app_log_dir().ok());
        commands::updates::watch(app.handle().clone());
        Ok(())
    })
    .run(tauri::generate_context!())
    .expect("error while running the 民生警务平台 desktop application");
}

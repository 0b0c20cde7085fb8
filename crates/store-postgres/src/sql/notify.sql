-- notify tables (PostgreSQL). See migrations.rs for the type conventions.

CREATE TABLE sms_templates (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    provider_template_id TEXT,
    updated_at BIGINT NOT NULL
);
INSERT INTO sms_templates(code, name, body, updated_at) VALUES
 ('followup.l1', '办结回访（一级）', '【济南公安】您好，您反映的诉求（编号{caseNumber}）已办结。请对办理结果评价，回复数字：1满意 2基本满意 3不满意，也可直接回复您的意见。', 0),
 ('followup.l2', '重办回访（二级）', '【济南公安】您好，您反映的诉求（编号{caseNumber}）已由承办单位重新办理并上门回访。请再次评价，回复：1满意 2基本满意 3不满意。', 0),
 ('followup.l3', '领导督办回访（三级）', '【济南公安】您好，您反映的诉求（编号{caseNumber}）已经市局领导签批并由纪委/督察/法制部门调查。请评价，回复：1满意 2基本满意 3不满意。', 0),
 ('followup.difficult', '疑难督办回访', '【济南公安】您好，您反映的诉求（编号{caseNumber}）已列入疑难督办并下发督办通知。请评价办理情况，回复：1满意 2基本满意 3不满意。', 0),
 ('service.110', '110接处警回访', '【济南公安】您好，您于{date}拨打110报警，{unitName}已出警处置。请评价，回复：1满意 2基本满意 3不满意。', 0),
 ('service.household', '户政业务回访', '【济南公安】您好，您于{date}在{unitName}办理的户政业务已完成。请评价，回复：1满意 2基本满意 3不满意。', 0),
 ('service.exitEntry', '出入境业务回访', '【济南公安】您好，您于{date}在{unitName}办理的出入境业务已完成。请评价，回复：1满意 2基本满意 3不满意。', 0),
 ('service.vehicle', '车驾管业务回访', '【济南公安】您好，您于{date}在{unitName}办理的车驾管业务已完成。请评价，回复：1满意 2基本满意 3不满意。', 0),
 ('reminder.documentReady', '温馨提示：证件可领取', '【济南公安】温馨提示：{name}您好，您办理的{item}已制作完成，请携带身份证件到{place}领取。', 0),
 ('staff.notice', '工作提醒（民警）', '【民生警务】{title}：{body}', 0);

-- One row per SMS; event_key makes a business event produce at most one message.
-- Workers claim rows with FOR UPDATE SKIP LOCKED (notify/outbox.rs). discard_reason is
-- the admin console's (SQLite adds it in a later migration; here it is in the baseline).
CREATE TABLE sms_outbox (
    id TEXT PRIMARY KEY,
    event_key TEXT NOT NULL UNIQUE,
    phone TEXT NOT NULL,
    template TEXT NOT NULL,
    provider_template_id TEXT,
    params TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    last_error TEXT,
    provider_id TEXT,
    delivery_status TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    discard_reason TEXT
);
CREATE INDEX sms_outbox_due ON sms_outbox(status, next_attempt_at);
CREATE INDEX sms_outbox_provider ON sms_outbox(provider_id);

-- One follow-up round (回访): a case at a level/round, or a window-service event.
-- pos is the insertion order (SQLite's rowid), the tie-break of lists.
CREATE TABLE followups (
    id TEXT PRIMARY KEY,
    event_key TEXT NOT NULL UNIQUE,
    case_id TEXT,
    level TEXT,
    round INTEGER NOT NULL DEFAULT 0,
    service_event_id TEXT,
    service TEXT,
    phone TEXT,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    answered_at BIGINT,
    satisfaction TEXT,
    answer_text TEXT,
    pos BIGSERIAL NOT NULL,
    UNIQUE (case_id, level, round)
);
CREATE INDEX followups_phone ON followups(phone, created_at DESC);
CREATE INDEX followups_status ON followups(status, due_at);

-- Every webhook delivery of a citizen reply, once per gateway message id.
-- pos is the insertion order (SQLite's rowid), the tie-break of lists.
CREATE TABLE sms_inbound (
    message_id TEXT PRIMARY KEY,
    phone TEXT NOT NULL,
    text TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    arrived_at BIGINT NOT NULL,
    followup_id TEXT,
    outcome TEXT NOT NULL,
    detail TEXT,
    pos BIGSERIAL NOT NULL
);
CREATE INDEX sms_inbound_arrived ON sms_inbound(arrived_at DESC);
CREATE INDEX sms_inbound_outcome ON sms_inbound(outcome, arrived_at);

CREATE TABLE service_events (
    id TEXT PRIMARY KEY,
    service TEXT NOT NULL,
    phone TEXT NOT NULL,
    citizen_name TEXT,
    unit_name TEXT,
    summary TEXT,
    occurred_at BIGINT NOT NULL
);

CREATE TABLE staff_notifications (
    id TEXT PRIMARY KEY,
    event_key TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    case_id TEXT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX staff_notifications_user ON staff_notifications(user_id, created_at DESC);
CREATE TABLE notify_prefs (user_id TEXT PRIMARY KEY, data TEXT NOT NULL);
-- Deadline reminders already raised (kind:case:deadline).
CREATE TABLE notify_reminders (key TEXT PRIMARY KEY, at BIGINT NOT NULL);
-- Position in the sync change log up to which staff notifications were derived; starts
-- at the current end so an upgraded database does not replay its history.
CREATE TABLE notify_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL);
INSERT INTO notify_cursor(id, seq) VALUES (1, (SELECT COALESCE(MAX(seq), 0) FROM changes));

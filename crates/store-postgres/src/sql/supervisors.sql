-- 优秀监督员: the register, consultation rounds (one per period) and each supervisor's
-- consultation in a round with its answer; the survey SMS template.
CREATE TABLE supervisors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    contact_preferences TEXT NOT NULL,
    address TEXT,
    note TEXT,
    since BIGINT,
    ended_at BIGINT,
    proposed_at BIGINT NOT NULL,
    proposed_by TEXT,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX supervisors_phone ON supervisors(phone);
CREATE INDEX supervisors_unit ON supervisors(unit_id, proposed_at DESC);
CREATE TABLE supervisor_rounds (
    id TEXT PRIMARY KEY,
    period TEXT NOT NULL UNIQUE,
    opened_at BIGINT NOT NULL,
    opened_by TEXT
);
CREATE TABLE supervisor_consultations (
    id TEXT PRIMARY KEY,
    round_id TEXT NOT NULL REFERENCES supervisor_rounds(id),
    period TEXT NOT NULL,
    supervisor_id TEXT NOT NULL REFERENCES supervisors(id),
    supervisor_name TEXT NOT NULL,
    phone TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    answered_at BIGINT,
    answered_by TEXT,
    satisfaction TEXT,
    answer_text TEXT,
    suggestion BOOLEAN NOT NULL DEFAULT FALSE,
    case_id TEXT,
    UNIQUE (round_id, supervisor_id)
);
CREATE INDEX supervisor_consultations_unit ON supervisor_consultations(unit_id, status);
CREATE INDEX supervisor_consultations_answered ON supervisor_consultations(answered_at);
CREATE INDEX supervisor_consultations_phone ON supervisor_consultations(phone, opened_at);
INSERT INTO sms_templates(code, name, body, updated_at) VALUES
 ('supervisor.survey', '优秀监督员月度征询', '【济南公安】{name}您好，感谢您担任民生警务优秀监督员。请对本月({period})民生警务工作评价，回复：1满意 2基本满意 3不满意；有意见建议请直接回复文字。', 0)
ON CONFLICT (code) DO NOTHING;

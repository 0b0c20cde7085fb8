//! The workflow (一网办): actions, the state machine and intake.

mod action;
mod intake;
mod machine;

pub use action::{
    Action, ActionKind, Assignee, ComplaintVerdict, DispatchOrder, FollowUpChannel,
    InvestigatingDept, MasterAnswer,
};
pub use intake::{check_intake, clean_text, intake, FieldProblem, NewCase};
pub use machine::{allowed, allowed_actions, apply, check_action, check_master, rule, Ctx};

//! The workflow (一网办): actions, the state machine and intake.

mod action;
mod intake;
mod machine;

pub use action::{Action, ActionKind, Assignee, DispatchOrder, FollowUpChannel, InvestigatingDept};
pub use intake::{intake, NewCase};
pub use machine::{allowed, allowed_actions, apply, rule, Ctx};

//! Escrow events: what supervising banks report about prepaid fees (预收费) and supervised
//! accounts. Amounts are integer fen.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, BankId, ContractId, CourseId, StudentRef};
use crate::money::Fen;
use crate::validate::{ordered, positive, Validate, Validation};

/// A supervised training-fee account was opened at a bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SupervisedAccountOpened {
    pub account: AccountId,
    pub bank: BankId,
}

/// A supervised account was closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SupervisedAccountClosed {
    pub account: AccountId,
}

/// A family prepaid fees for lessons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FeeCollected {
    pub contract: ContractId,
    pub student: StudentRef,
    pub course: Option<CourseId>,
    pub amount: Fen,
    pub lessons: u32,
    /// First day of the service period the payment covers.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub service_start: Date,
    /// Last day of the service period the payment covers.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub service_end: Date,
    /// The supervised account that received the money; `None` when it was collected elsewhere.
    pub supervised_account: Option<AccountId>,
    /// Paid with a training loan (培训贷) or instalment credit.
    pub training_loan: bool,
}

impl Validate for FeeCollected {
    fn validate(&self) -> Validation {
        positive("data.amount", self.amount.get())?;
        positive("data.lessons", u64::from(self.lessons))?;
        // A one-day service period starts and ends on the same day.
        if self.service_end != self.service_start {
            ordered("data.service_end", &self.service_start, &self.service_end)?;
        }
        Ok(())
    }
}

/// The bank released escrowed money to the institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FundsReleased {
    pub account: AccountId,
    pub contract: ContractId,
    pub amount: Fen,
    /// Lessons the release pays for.
    pub lessons: u32,
}

impl Validate for FundsReleased {
    fn validate(&self) -> Validation {
        positive("data.amount", self.amount.get())
    }
}

/// A family asked for a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefundRequested {
    pub contract: ContractId,
    pub amount: Fen,
    /// How many undelivered lessons the family withdraws from (version 2). With it, the refund
    /// owed is at least the contract's price of that many lessons (pro rata), whatever
    /// `amount` says; without it (and in every version-1 request) only the date is judged.
    /// May be omitted in JSON.
    #[serde(default)]
    pub lessons: Option<u32>,
}

impl Validate for RefundRequested {
    fn validate(&self) -> Validation {
        positive("data.amount", self.amount.get())?;
        match self.lessons {
            Some(lessons) => positive("data.lessons", u64::from(lessons)),
            None => Ok(()),
        }
    }
}

/// A refund was paid to a family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefundPaid {
    pub contract: ContractId,
    pub account: Option<AccountId>,
    pub amount: Fen,
}

impl Validate for RefundPaid {
    fn validate(&self) -> Validation {
        positive("data.amount", self.amount.get())
    }
}

/// The bank's end-of-day balance of a supervised account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DailyBalanceStated {
    pub account: AccountId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: Date,
    pub balance: Fen,
}

/// The institution deposited money into its risk reserve (风险保证金).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RiskReserveDeposited {
    pub account: AccountId,
    pub amount: Fen,
}

impl Validate for RiskReserveDeposited {
    fn validate(&self) -> Validation {
        positive("data.amount", self.amount.get())
    }
}

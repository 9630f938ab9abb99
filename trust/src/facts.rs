//! The facts the policy owns, kept beside the log's entries and updated in the same atomic write
//! as the events that establish them:
//!
//! | key                             | value             | set by                             |
//! |---------------------------------|-------------------|------------------------------------|
//! | `i` + credit code               | [`InstitutionFact`] | `registry.institution_registered` |
//! | `a` + account id                | [`AccountFact`]   | `escrow.supervised_account_opened`/`_closed` |
//! | `h` + credit code + `/` + bank  | open accounts, u32 | the same                          |
//!
//! Values are postcard. Each fact has one owner: a region only its registration sets, an account
//! only the bank that opened it holds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tutorwatch_events::ids::{AccountId, BankId};
use tutorwatch_events::{CreditCode, RegionCode};

/// Why the facts could not be read (the store's error, kept as the source).
#[derive(Debug, thiserror::Error)]
#[error("reading the log's facts failed")]
pub struct FactsError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

/// What reading one fact gives: its value, if it is set, or the store's error.
pub type FactRead = Result<Option<Vec<u8>>, FactsError>;

/// Where facts live: the log's facts (through the batch's pending writes), or a scratch
/// copy for checks that must not write.
pub trait FactKv {
    /// The value under `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, FactsError>;
    /// Sets `key` for what is judged after.
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>);
}

/// Writes kept in memory above a read-only base: the HTTP API's pre-check judges with it, so
/// nothing it concludes is stored.
#[derive(Debug)]
pub struct Scratch<R> {
    base: R,
    writes: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl<R> Scratch<R>
where
    R: Fn(&[u8]) -> Result<Option<Vec<u8>>, FactsError>,
{
    /// Reads through `base`, writes to memory.
    pub fn new(base: R) -> Self {
        Self {
            base,
            writes: BTreeMap::new(),
        }
    }
}

impl<R> FactKv for Scratch<R>
where
    R: Fn(&[u8]) -> Result<Option<Vec<u8>>, FactsError>,
{
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, FactsError> {
        match self.writes.get(key) {
            Some(value) => Ok(Some(value.clone())),
            None => (self.base)(key),
        }
    }

    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.insert(key, value);
    }
}

/// A registered institution, as its registration set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionFact {
    /// Where it is registered and supervised: the region every event about it must name.
    pub region: RegionCode,
}

/// A supervised account, as its opening set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFact {
    /// The bank that opened it: its holder, forever.
    pub bank: BankId,
    /// The institution it was opened for.
    pub institution: CreditCode,
    pub open: bool,
}

/// Typed access to the facts over any [`FactKv`].
#[derive(Debug)]
pub struct Facts<'k, K: ?Sized> {
    kv: &'k mut K,
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, FactsError> {
    postcard::from_bytes(bytes).map_err(|e| FactsError(Box::new(e)))
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).expect("postcard serialises a fact into a Vec without fail")
}

fn institution_key(code: &CreditCode) -> Vec<u8> {
    [b"i", code.as_str().as_bytes()].concat()
}

fn account_key(account: &AccountId) -> Vec<u8> {
    [b"a", account.as_str().as_bytes()].concat()
}

fn holdings_key(code: &CreditCode, bank: &BankId) -> Vec<u8> {
    [
        b"h",
        code.as_str().as_bytes(),
        b"/",
        bank.as_str().as_bytes(),
    ]
    .concat()
}

impl<'k, K: FactKv + ?Sized> Facts<'k, K> {
    /// Typed facts over `kv`.
    pub fn new(kv: &'k mut K) -> Self {
        Self { kv }
    }

    /// The institution's registration, if it is registered.
    pub fn institution(&self, code: &CreditCode) -> Result<Option<InstitutionFact>, FactsError> {
        self.kv
            .get(&institution_key(code))?
            .map(|v| decode(&v))
            .transpose()
    }

    /// The account's holder and state, if it was ever opened.
    pub fn account(&self, account: &AccountId) -> Result<Option<AccountFact>, FactsError> {
        self.kv
            .get(&account_key(account))?
            .map(|v| decode(&v))
            .transpose()
    }

    /// How many accounts `bank` holds open for `code`.
    pub fn open_accounts(&self, code: &CreditCode, bank: &BankId) -> Result<u32, FactsError> {
        Ok(self
            .kv
            .get(&holdings_key(code, bank))?
            .map(|v| decode(&v))
            .transpose()?
            .unwrap_or(0))
    }

    pub(crate) fn set_institution(&mut self, code: &CreditCode, fact: &InstitutionFact) {
        self.kv.put(institution_key(code), encode(fact));
    }

    /// Records an account's state, keeping the holder's count of open accounts in step.
    pub(crate) fn set_account(
        &mut self,
        account: &AccountId,
        fact: &AccountFact,
    ) -> Result<(), FactsError> {
        let was_open = self.account(account)?.is_some_and(|a| a.open);
        if was_open != fact.open {
            let open = self.open_accounts(&fact.institution, &fact.bank)?;
            let open = if fact.open {
                open + 1
            } else {
                open.saturating_sub(1)
            };
            self.kv
                .put(holdings_key(&fact.institution, &fact.bank), encode(&open));
        }
        self.kv.put(account_key(account), encode(fact));
        Ok(())
    }
}

//! Tutorwatch's integration tests, one binary: each test starts its own nats-server on a free
//! loopback port with its own store directory, runs the real `tutorwatch` binary against its own
//! sled directory, and stops both when it ends.

mod helpers;

mod api;
mod checkpoints;
mod city;
mod cli;
mod console;
mod crash;
mod dead_letters;
mod ingest;
mod limits;
mod nats_auth;
mod projections;
mod storage_faults;
mod tidy;
mod tokens;
mod trust;

//! Projections: deterministic folds over the Tutorwatch log (work in progress, see ARCHITECTURE.md).

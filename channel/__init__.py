"""Intake channel adapters (mini-program, hotline work orders, walk-in, web), each turning its input into one
normalized intake record for :mod:`complaints`. Filled by the intake-channels issue."""

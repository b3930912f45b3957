"""The cron engine: parse, validate, describe and evaluate cron expressions in any time zone."""

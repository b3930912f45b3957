"""cronwright: durable, exactly-once cron scheduling of workflows for many organizations."""

__version__ = "0.1.0"

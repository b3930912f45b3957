"""The catalog: organizations, API keys, workflows, schedules, alert channels and templates."""

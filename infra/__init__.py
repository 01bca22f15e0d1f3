"""Deployments, schedules, server and worker setup."""

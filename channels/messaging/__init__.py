"""Messaging channels: Twilio SMS and WhatsApp, Facebook Messenger, Telegram and Slack. Each is
enabled only when its environment variables are set (channels/messaging/registry.py), verifies
that requests come from its platform, and shapes answers to what the platform can show."""

"""The staff web console (server-rendered, Chinese UI). Filled by the console issues."""

"""The change team's library as managed from the console: adding files, re-indexing with progress,
seeing what the index holds."""

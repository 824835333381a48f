"""Multi-step chat dialogues (writing a story, answering an escalation, typing a survey comment): where
each person is, kept in the database so the next message may land on any process."""

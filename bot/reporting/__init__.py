"""Figures across domains for the console's overview: adoption, reach, resistance, lights, trends."""

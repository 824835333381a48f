"""Figures across domains: the console's overview (adoption, reach, resistance, lights, trends) and
the headline of a closed survey wave that its managers get in chat."""

"""Tests of the code executor: contract, hostile code, behaviour and agent-level use."""

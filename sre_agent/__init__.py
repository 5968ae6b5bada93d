"""sre-agent: a reference multi-agent SRE diagnostic agent.

Planner, investigator and verifier agents (autogen-agentchat) share one summarized
``IncidentState``; structural fixes from the MAST failure taxonomy are switches in the
orchestration layer; every run leaves a trace that the built-in MAST annotator labels.
"""

__version__ = "0.1.0"

"""Scripted model answers for the programs in examples/agents/, shared by the test that
runs them against the test servers (tests/test_tools_e2e.py) and by the script that
records them (record_examples.py). Each function takes the JSON body of a chat request
and returns the answer's text, or an action of `servers.ChatServer` (e.g. a delay)."""

from __future__ import annotations

import json


def _prompt(body: dict) -> str:
    return str((body.get("messages") or [{}])[-1].get("content"))


def _system(body: dict) -> str:
    return " ".join(m["content"] for m in body.get("messages", []) if m["role"] == "system")


# ------------------------------------------------------------ multi_model_analysis.lm

ANALYSES = {
    ("gpt-4o", "The battery"): ("positive", 0.96, "The reviewer loves the battery life "
                                                  "and the screen."),
    ("claude-3-opus", "The battery"): ("positive", 0.93, "Enthusiastic praise for battery "
                                                         "and display."),
    ("gpt-4o", "Shipping"): ("negative", 0.94, "Slow, damaged delivery and no support."),
    ("claude-3-opus", "Shipping"): ("negative", 0.97, "A frustrated customer: late, crushed "
                                                      "box, silent support."),
    ("gpt-4o", "It does"): ("neutral", 0.71, "The product meets expectations, no more."),
    ("claude-3-opus", "It does"): ("positive", 0.55, "Mildly satisfied: it works as "
                                                     "described."),
}


def multi_model_analysis(body: dict):
    prompt = _prompt(body)
    for (model, start), (sentiment, confidence, summary) in ANALYSES.items():
        if body.get("model") == model and prompt.startswith(start):
            return json.dumps({"sentiment": sentiment, "confidence": confidence,
                               "summary": summary})
    return ("status", 400)


# ------------------------------------------------------------------- research_team.lm

INSIGHTS = {
    "economist": {"theme": "cost", "outlook": "improving"},
    "engineer": {"theme": "safety", "outlook": "improving"},
    "skeptical journalist": {"theme": "cost", "outlook": "improving"},
}

FAST_SUMMARY = ("Home batteries are getting cheaper: prices fell about 20% in 2024, "
                "incentives cut them further, and utilities now pay owners for peak power.")


def research_team(body: dict):
    prompt, system = _prompt(body), _system(body)
    if "response_format" in body:
        for role, insight in INSIGHTS.items():
            if f"You are an {role}." in system or f"You are a {role}." in system:
                return json.dumps(insight)
        return ("status", 400)
    if prompt.startswith("Summarize these search results in one sentence"):
        return FAST_SUMMARY
    if prompt.startswith("List the key facts") or prompt.startswith("Write a thorough"):
        # the thorough summary is slow: it loses the race and is cancelled
        return ("delay", 0.6, ("reply", "notes"))
    return ("status", 400)


ANSWERS = {"multi_model_analysis": multi_model_analysis, "research_team": research_team}

"""Record classes shaped like the ones the compiler generates (field checks, a `where`
constraint, `_lumen_json_schema`), for structured-output tests."""

from lumen.runtime.support import constraint_error
from lumen.runtime.support import missing_field
from lumen.runtime.values import T_FLOAT, T_STRING, Record, check_field

_MISSING = object()


class Analysis(Record):
    __slots__ = ("sentiment", "score", "summary")
    _lumen_name = "Analysis"
    _lumen_fields = ("sentiment", "score", "summary")
    _lumen_json_schema = {
        "type": "object",
        "properties": {"sentiment": {"type": "string"}, "score": {"type": "number"},
                       "summary": {"type": "string"}},
        "required": ["sentiment", "score", "summary"], "additionalProperties": False}

    def __init__(self, sentiment=_MISSING, score=0.0, summary=_MISSING):
        if sentiment is _MISSING:
            missing_field("Analysis", "sentiment")
        if summary is _MISSING:
            missing_field("Analysis", "summary")
        check_field(sentiment, T_STRING, "Analysis", "sentiment")
        check_field(score, T_FLOAT, "Analysis", "score")
        check_field(summary, T_STRING, "Analysis", "summary")
        if not len(summary) > 0:
            constraint_error("Analysis", "summary", "length(summary) > 0", summary)
        self.sentiment, self.score, self.summary = sentiment, score, summary

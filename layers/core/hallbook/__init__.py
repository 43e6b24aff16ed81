"""hallbook: citizen appointment booking for government service halls (SPEC R1-R17)."""

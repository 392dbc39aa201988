DROP TABLE systemic_candidates;

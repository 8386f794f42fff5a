"""Domain and persistence: districts, schools, users, campaigns, links, responses, imports."""

"""The views of the projects app, by subject: `lookup` (how a view reaches a project),
`projects`, `documents`, `reserves`, `applications`; projects/urls.py routes to them."""

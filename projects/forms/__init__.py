"""The forms of the projects app, by subject: `fields` (shared fields and choices), `projects`,
`documents`, `reserves`, `applications`. Import from the module of the subject."""

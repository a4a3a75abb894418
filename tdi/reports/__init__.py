"""The read side: every report of the portfolio, the one package that imports both apps.

Its modules, in the order a report is built:

- `forms`, `scope`: what a report covers, read once from the request (ReportScope);
- `data`: the portfolio, now or as of a day (`portfolio()`, `key_figures()`);
- `decisions`: committee decisions (the register, and those of the portfolio's projects);
- `charts`: the bar charts, as accessible SVG;
- `exports`, `opendata`: the CSV/XLSX exports and the public open data;
- `document`: the portfolio PDF and its background task;
- `todo`: the dashboard's to-do for every role;
- `views`, `urls`: the dashboard, the reports page, the PDF and background documents.
"""

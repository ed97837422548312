"""The admin console (``GET /admin``): an HTML shell and small plain-JavaScript files, served by
Yizhan like the rider's page, that union and street-office staff use to keep the station data
right through the same public ``/v1`` routes any client calls (a token pasted at sign-in).

``api.pages.admin.shell`` holds the files and the page's policy; ``api.routes.admin_page``
serves them.
"""

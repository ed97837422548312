"""The rider's page (``GET /``): an HTML shell, small plain-JavaScript files and vendored
Leaflet, served by Yizhan itself and kept offline by a service worker (issue 12).

The page calls the public ``/v1`` routes like any client; nothing here reads station data.
``api.pages.shell`` holds the files and their versions, ``api.routes.pages`` serves them.
"""

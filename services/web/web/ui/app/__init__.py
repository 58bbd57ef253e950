"""The installable app for the field (issue 23): the Web App Manifest, its icons, the service worker
that keeps the cadre's pages readable without a signal, and the page shown offline."""

"""The Stigmer web console: an HTTP gateway to stigmer-server and the page it serves."""

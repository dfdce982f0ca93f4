"""The proxied-state format (``proxied_state/<dag_id>.yaml``): reading and flipping flags."""

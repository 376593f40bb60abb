"""Every write of the aftersales app, one module per purpose: `<entity>_<verb>(*, actor, ...)`."""

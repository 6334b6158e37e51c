"""The CityOps gateway: one address in front of every service (see `gateway.app`)."""

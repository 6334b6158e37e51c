"""Data of the real-estate registry beyond what users enter: the programme's own sites for the demo
(`sites`, loaded through the registry's services by `services.assets.demo`), and the generated inventory
of `cityops seed --scale N` (`inventory`, written with COPY by `loader`): at scale 1, about 7,500
parcels and 9,000 assets."""

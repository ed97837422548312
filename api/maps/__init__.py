"""Static station maps: Folium pages with inlined, pinned assets and inert data."""

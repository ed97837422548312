"""Static station maps (issue 4): Folium pages with inlined, pinned assets and inert data."""

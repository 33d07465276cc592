"""Streamlit helpers shared by the pages: rendering only, all model work lives in `tl_core`."""

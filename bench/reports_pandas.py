"""The orders-pipeline seed's reporter, done right, in pandas: the baseline of `npm run bench -- reports`.

Reads the events CSV (not timed: that is loading pandas' store), then times the three reports computed from
the events up to `end` over [end - offset, end]. Prints one JSON line.
"""
import json
import sys
import time

import pandas as pd

path, end_iso, offset_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
events = pd.read_csv(path, dtype={"order_id": str, "customer_id": str, "product": str, "type": str})
events["time"] = pd.to_datetime(events["time"], utc=True)

t0 = time.perf_counter()
end = pd.Timestamp(end_iso)
start = end - pd.Timedelta(seconds=offset_s)
e = events[events["time"] <= end]
created = (
    e[e["type"] == "product_ordered"]
    .sort_values(["time", "seq"])
    .groupby("order_id", sort=False)
    .agg(customer_id=("customer_id", "first"), product=("product", "first"), created_ts=("time", "first"))
)
latest = e.sort_values(["time", "seq"]).groupby("order_id", sort=False).agg(last_type=("type", "last"), updated_ts=("time", "last"))
orders = created.join(latest, how="inner")
orders["status"] = orders["last_type"].where(orders["last_type"] != "product_ordered", "order_created").str[6:].str.upper()
window = orders[(orders["updated_ts"] >= start) & (orders["updated_ts"] <= end)]
age = window[window["status"] == "FULFILLED"].copy()
age["age_seconds"] = (age["updated_ts"] - age["created_ts"]).dt.total_seconds()
status = window.groupby("status").size()
cancelled = window[window["status"] == "CANCELLED"]
estimate = ((cancelled["updated_ts"] - cancelled["created_ts"]).dt.total_seconds() // 60).astype(int).value_counts().sort_index()
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "age": len(age), "status": len(status), "estimate": len(estimate)}))

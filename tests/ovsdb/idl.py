"""The Python `ovs` IDL against a server: connect, register the schema, read
the tables, commit a transaction (a change and an insert), see it come back.
Prints what it sees (no UUIDs) so two servers' runs can be compared.

    python3 idl.py unix:PATH SCHEMA"""
import sys
import time
import ovs.db.idl
import ovs.poller

remote, schema = sys.argv[1], sys.argv[2]
helper = ovs.db.idl.SchemaHelper(location=schema)
helper.register_all()
idl = ovs.db.idl.Idl(remote, helper)


def run_until(pred, what):
    deadline = time.time() + 10
    while time.time() < deadline:
        idl.run()
        if pred():
            return
        poller = ovs.poller.Poller()
        idl.wait(poller)
        poller.timer_wait(100)
        poller.block()
    print("timeout waiting for", what)
    sys.exit(1)


def bridges():
    return {b.name: b for b in idl.tables["Bridge"].rows.values()}


def show():
    for name, b in sorted(bridges().items()):
        ports = sorted(p.name for p in b.ports)
        ifaces = sorted("%s:%s" % (i.name, i.type) for p in b.ports for i in p.interfaces)
        print(name, ports, ifaces, sorted(b.external_ids.items()))


run_until(lambda: idl.has_ever_connected() and "br0" in bridges(), "the initial contents")
print("ovs rows:", len(idl.tables["Open_vSwitch"].rows))
show()

txn = ovs.db.idl.Transaction(idl)
br0 = bridges()["br0"]
br0.setkey("external_ids", "idl", "yes")
ovs_row = next(iter(idl.tables["Open_vSwitch"].rows.values()))
new_br = txn.insert(idl.tables["Bridge"])
new_br.name = "brIDL"
port = txn.insert(idl.tables["Port"])
port.name = "brIDL"
iface = txn.insert(idl.tables["Interface"])
iface.name = "brIDL"
iface.type = "internal"
port.interfaces = [iface]
new_br.ports = [port]
ovs_row.addvalue("bridges", new_br.uuid)
status = txn.commit_block()
print("committed:", ovs.db.idl.Transaction.status_to_string(status))
run_until(lambda: "brIDL" in bridges() and bridges()["br0"].external_ids.get("idl") == "yes", "the commit")
show()

# A transaction that fails verification-free but violates a constraint.
txn = ovs.db.idl.Transaction(idl)
bridges()["br0"].setkey("other_config", "x", "y")
txn.abort()
print("aborted:", ovs.db.idl.Transaction.status_to_string(txn.commit_block()))
idl.close()

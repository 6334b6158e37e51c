async def test_create_and_get(vendors, auth):
    r = await vendors.post(
        "/v1/procurement/vendors",
        json={"legal_name": "Acme Inc.", "entity_type": "corporation"},
        headers=auth(),
    )
    assert r.status_code == 201, r.text
    v = r.json()
    r = await vendors.get(f"/v1/procurement/vendors/{v['id']}", headers=auth())
    assert r.status_code == 200
    assert r.json()["vendor_number"].startswith("VND-")

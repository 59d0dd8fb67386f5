use super::fields::socket_tuple;

#[test]
fn tuples() {
    assert_eq!(
        socket_tuple("10.0.0.1:34567->93.184.216.34:443"),
        Some((("10.0.0.1", "34567"), ("93.184.216.34", "443")))
    );
    assert_eq!(
        socket_tuple("::1:5000->::1:80"),
        Some((("::1", "5000"), ("::1", "80")))
    );
    assert_eq!(socket_tuple("0.0.0.0:80"), None);
}
